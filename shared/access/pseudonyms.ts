import { createHmac } from 'node:crypto';

/**
 * Names for a student that outsiders cannot turn back into the LMS's id: an HMAC keyed with the service's
 * first status-token secret (guessable ids, such as student numbers, cannot be found by hashing candidates
 * without the key). Each use has its own label, so one pseudonym says nothing about another.
 */
export interface Pseudonyms {
  /** The provider's `safety_identifier`: one per student of one tenant (or per tenant without a student). */
  safetyIdentifier(tenantId: string, user: string | undefined): string;
  /** The student's part of a quota counter's blob name: blob names are listed, so never the raw id. */
  counterKey(tenantId: string, user: string): string;
  /**
   * The student as job records name them in blob metadata and erasure operations keep them once done: the
   * erasure finds a student's records from a blob listing, and a finished operation says whom it erased
   * without naming them.
   */
  studentKey(tenantId: string, user: string): string;
}

export function createPseudonyms(secret: string): Pseudonyms {
  const pseudonym = (label: string, ...parts: string[]) =>
    createHmac('sha256', secret).update([label, ...parts].join('\n')).digest('hex').slice(0, 32);
  return {
    safetyIdentifier: (tenantId, user) => `edu4all-${pseudonym('safety-identifier', tenantId, user ?? '')}`,
    counterKey: (tenantId, user) => pseudonym('quota-counter', tenantId, user),
    studentKey: (tenantId, user) => pseudonym('student', tenantId, user),
  };
}
