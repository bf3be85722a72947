// bcrypt verification is not implemented yet: a bcrypt hash never matches (authentication fails
// closed).
export function bcryptVerify(_password: string, _hash: string): Promise<boolean> {
  return Promise.resolve(false);
}
