/**
 * The names of the library's own kernels that a module above `backend` runs by name: the
 * backend module registers them (with their gradients) for the backends it serves, and the
 * caller composes tfjs ops wherever one is not registered.
 *
 * @module
 */

/** log σ(z) elementwise in one kernel call (input `z`), the same values as its composition. @internal */
export const LOG_SIGMOID = 'MedkitLogSigmoid';

/** The gradient of {@link LOG_SIGMOID}: dy · σ(−z) (inputs `dy` and `z`). @internal */
export const LOG_SIGMOID_GRAD = 'MedkitLogSigmoidGrad';
