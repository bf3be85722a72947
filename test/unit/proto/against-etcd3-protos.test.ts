// An independent second source for every number: the etcd3 npm package ships etcd's own .proto files
// (an etcd 3.x snapshot). Every message, field, enum and method there must exist here unchanged;
// anything capstan has beyond it is listed below on purpose.
import path from 'node:path';
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoRoot } from '../../../src/server/proto/load.js';

const etcd3Dir = path.join(path.dirname(createRequire(import.meta.url).resolve('etcd3/package.json')), 'proto');
const reference = new protobuf.Root();
reference.resolvePath = (_origin, target) => path.join(etcd3Dir, path.basename(target));
reference.loadSync(['rpc.proto'], { keepCase: true });
reference.resolveAll();

/** Fields capstan has that this etcd3 snapshot lacks (all in etcd 3.5's protos except as rpc.proto notes). */
const NEWER_FIELDS = new Set([
  'etcdserverpb.HashKVResponse.hash_revision',
  'etcdserverpb.AuthUserAddRequest.hashedPassword',
  'etcdserverpb.AuthUserChangePasswordRequest.hashedPassword',
]);

// etcd3 renamed enum values to PascalCase in its copy (NOT_EQUAL → NotEqual); only the numbers
// travel, so compare names without case or underscores.
const looseKeys = (values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k.toUpperCase().replaceAll('_', ''), v]));

function* types(ns: protobuf.NamespaceBase): Generator<protobuf.Type | protobuf.Enum | protobuf.Service> {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum || nested instanceof protobuf.Service) yield nested;
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) yield* types(nested);
  }
}

const fullName = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\./, '');
const referenceTypes = [...types(reference)];

describe('capstan protos against the etcd3 package protos', () => {
  it('found the reference protos', () => {
    expect(referenceTypes.length).toBeGreaterThan(100);
  });

  for (const ref of referenceTypes) {
    const name = fullName(ref);
    it(`${name} matches`, () => {
      const ours = protoRoot.lookup(name);
      expect(ours, `${name} missing`).not.toBeNull();
      if (ref instanceof protobuf.Type) {
        expect(ours).toBeInstanceOf(protobuf.Type);
        const o = ours as protobuf.Type;
        const shape = (f: protobuf.Field) => ({
          id: f.id,
          type: f.resolvedType === null ? f.type : fullName(f.resolvedType),
          repeated: f.repeated,
          oneof: f.partOf?.name ?? null,
        });
        for (const f of ref.fieldsArray) expect(shape(o.fields[f.name]!), `${name}.${f.name}`).toEqual(shape(f));
        const extra = o.fieldsArray.map((f) => `${name}.${f.name}`).filter((n) => ref.fields[n.slice(name.length + 1)] === undefined);
        for (const n of extra) expect(NEWER_FIELDS.has(n), `unexpected extra field ${n}`).toBe(true);
      } else if (ref instanceof protobuf.Enum) {
        expect(looseKeys((ours as protobuf.Enum).values)).toEqual(looseKeys(ref.values));
      } else if (ref instanceof protobuf.Service) {
        const o = ours as protobuf.Service;
        const shape = (m: protobuf.Method) => ({
          request: fullName(m.resolvedRequestType!),
          response: fullName(m.resolvedResponseType!),
          requestStream: Boolean(m.requestStream),
          responseStream: Boolean(m.responseStream),
        });
        expect(Object.keys(o.methods).sort()).toEqual(Object.keys(ref.methods).sort());
        for (const m of ref.methodsArray) expect(shape(o.methods[m.name]!), `${name}.${m.name}`).toEqual(shape(m));
      }
    });
  }
});
