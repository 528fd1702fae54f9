/**
 * A pass (or a wait inside it) that `shutdown` interrupted. The cursor stands where acknowledged
 * data ends; the next run goes on from there.
 */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}
