// The order of these imports is the point: Response is hidden while pg-promise loads.
import { restoreResponse } from './response-hidden.js';
import pgPromise from 'pg-promise';

restoreResponse();

export default pgPromise;
