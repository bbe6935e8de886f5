import { ProblemError } from '@gatehouse/core';

/**
 * One answer for every refused emailed link (unknown, spent, expired, another org's): the
 * page shows "expired or already used" and offers a new one; none says which.
 */
export const linkInvalid = () =>
  new ProblemError(400, 'link_invalid', 'Link not valid', {
    detail: 'This link has expired or has already been used. Ask for a new one.',
  });
