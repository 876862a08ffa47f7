// The errors the publishing functions throw besides InvalidInputError (bad input).

/**
 * The database refused a move of the publishing state machine: not a move from the post's status,
 * scheduling that needs an admin's approval, a post being published. `message` says which.
 */
export class PublishStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishStateError';
  }
}

/**
 * The post's current claim is not the one given: another worker holds it, the lease ran out and the
 * post is `unknown`, or the post was settled. SQLSTATE 55000 from the database; `message` says which.
 */
export class StaleClaimError extends PublishStateError {
  constructor(message: string) {
    super(message);
    this.name = 'StaleClaimError';
  }
}
