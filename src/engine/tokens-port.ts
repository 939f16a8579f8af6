/** API token roles, least to most (the API maps them to what each may do). */
export type TokenRole = 'viewer' | 'operator' | 'admin';

/** A stored API token, without its secret (only a hash of it is ever stored). */
export interface ApiTokenRecord {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: Date;
}

/** Where API tokens live: hashed, never in clear. */
export interface TokenStore {
  /** Stores a token by the SHA-256 (hex) of its secret. */
  insertToken(input: { name: string; role: TokenRole; hash: string; createdAt: Date }): Promise<ApiTokenRecord>;
  /** The token whose secret hashes to `hash`, with that hash, for a constant-time check. */
  findTokenByHash(hash: string): Promise<(ApiTokenRecord & { hash: string }) | undefined>;
  countTokens(): Promise<number>;
  listTokens(): Promise<ApiTokenRecord[]>;
}
