import { hashApiKey, newApiKey } from '../shared/config/tenants';

/**
 * `npm run api-key [key]`: makes a new random API key for a tenant (or hashes the one given) and prints
 * the hash for the TENANTS setting. Give the key to the school's LMS once; store only the hash.
 */
const key = process.argv[2] ?? newApiKey();
console.log(`key:  ${key}`);
console.log(`hash: ${hashApiKey(key)}`);
