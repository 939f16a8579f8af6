import type { ApiTokenRecord, TokenRole, TokenStore } from '../engine/ports.js';
import type { Sql, SqlQuery } from './sql.js';

/** An api_tokens row; never leaves store/. */
interface TokenRow {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: Date;
}

const COLUMNS = 'id, name, role, token_hash, created_at';

const insertToken = (name: string, role: TokenRole, hash: string, createdAt: Date): SqlQuery => ({
  name: 'tokens-insert',
  text: `insert into api_tokens (name, role, token_hash, created_at) values ($1, $2, $3, $4::timestamptz) returning ${COLUMNS}`,
  values: [name, role, hash, createdAt],
});

const findByHash = (hash: string): SqlQuery => ({
  name: 'tokens-find',
  text: `select ${COLUMNS} from api_tokens where token_hash = $1`,
  values: [hash],
});

const countTokens = (): SqlQuery => ({ name: 'tokens-count', text: 'select count(*)::int as n from api_tokens' });
const listTokens = (): SqlQuery => ({ name: 'tokens-list', text: `select ${COLUMNS} from api_tokens order by created_at, id` });

function toRecord(row: TokenRow): ApiTokenRecord {
  return { id: row.id, name: row.name, role: row.role as TokenRole, createdAt: new Date(row.created_at) };
}

/** API tokens in the api_tokens table (migration 0008). */
export function createTokenStore(sql: Sql): TokenStore {
  return {
    async insertToken({ name, role, hash, createdAt }) {
      const [row] = await sql.query<TokenRow>(insertToken(name, role, hash, createdAt));
      if (!row) throw new Error('api token insert returned no row');
      return toRecord(row);
    },
    async findTokenByHash(hash) {
      const [row] = await sql.query<TokenRow>(findByHash(hash));
      return row ? { ...toRecord(row), hash: row.token_hash } : undefined;
    },
    async countTokens() {
      return (await sql.query<{ n: number }>(countTokens()))[0]?.n ?? 0;
    },
    async listTokens() {
      return (await sql.query<TokenRow>(listTokens())).map(toRecord);
    },
  };
}
