import type { IConnected } from 'pg-promise';
import type { IClient } from 'pg-promise/typescript/pg-subset.js';

/** A pooled connection held for one transaction (a file's, a set's). */
export type Connection = IConnected<unknown, IClient>;

/** What a load sends on its connection: a pooled Connection, or a set's, taken at its first statement (SetConnection). */
export interface Session {
  none(sql: string): Promise<unknown>;
  multi(sql: string): Promise<unknown[][]>;
}
