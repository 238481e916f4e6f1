// Provider failures classified once (docs/architecture.md decision 5). Activities turn these into Temporal
// ApplicationFailures: the class name becomes the failure type, so retry policy and ledgers agree.

export type ErrorClass =
  | 'rate_limited'
  | 'transient'
  | 'unauthorized'
  | 'reauth_required'
  /**
   * The provider refuses this user's data though the grant is valid (a 403 when the user's membership
   * expired, or a data type not consented): not a revocation, and retrying will not help until the
   * user acts. The connection is marked with the reason.
   */
  | 'access_denied'
  | 'client_error'
  | 'invalid_input';

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    readonly status?: number,
    /** For rate_limited: how long the provider asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return (
      this.errorClass === 'rate_limited' ||
      this.errorClass === 'transient' ||
      this.errorClass === 'unauthorized'
    );
  }
}

/** An inbound webhook that did not authenticate (bad signature, stale timestamp): answered 401, nothing stored. */
export class WebhookRejected extends Error {
  readonly status = 401;
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRejected';
  }
}

/**
 * A request that can never succeed as given (workflow inputs, CLI arguments): said clearly, before
 * anything is fetched or stored. Here rather than in workflows/ so activities need not import workflows.
 */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
