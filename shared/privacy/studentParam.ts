import { BadRequestError } from '../errors';
import { userIdSchema } from '../jobs/jobRequest';

/** The `{user}` of a student route, checked as a job's `user` is: never an e-mail address or a phone number. */
export function parseStudentParam(value: string | undefined): string {
  const checked = userIdSchema.safeParse(value ?? '');
  if (!checked.success) throw new BadRequestError('InvalidField', checked.error.issues[0]?.message ?? 'user is not valid', { target: 'user' });
  return checked.data;
}
