import type { IConnected } from 'pg-promise';
import type { IClient } from 'pg-promise/typescript/pg-subset.js';

/** A pooled connection held for one transaction (a file's, a set's). */
export type Connection = IConnected<unknown, IClient>;
