// One AuthStore per open MvccStore, loaded from its buckets on first use. The applier (auth entries)
// and the gRPC services (checks) reach the same instance through the store they already share, so the
// member needs no extra wiring while its log is being replaced by Raft.
import type { MvccStore } from '../../mvcc/store.js';
import { AuthStore } from './authStore.js';

const stores = new WeakMap<MvccStore, Promise<AuthStore>>();

export function authStoreOf(store: MvccStore): Promise<AuthStore> {
  let loading = stores.get(store);
  if (!loading) {
    loading = AuthStore.load(store.backend);
    stores.set(store, loading);
  }
  return loading;
}
