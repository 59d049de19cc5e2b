/**
 * The named-optimizer factory of every trainer: `'adam'` (the library's {@link fusedAdam}, bit
 * for bit tf.train.adam on every backend), `'sgd'`, `'momentum'` (Nesterov, 0.9), `'rmsprop'`, or
 * the caller's own tfjs optimizer; and the one way the trainers set a learning rate.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedAdam } from '../backend/fused-adam.js';
import { ArgumentError, describeValue } from '../core/errors.js';

/** The optimizers a trainer can build by name. */
export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

/**
 * An optimizer by name, or a tfjs optimizer instance (which the trainer then neither builds nor
 * disposes).
 */
export type OptimizerChoice = OptimizerName | tf.Optimizer;

/** Settings of a named optimizer. */
export interface OptimizerSettings {
  /** The (initial) learning rate. */
  learningRate: number;
  /** Adam's β1. Defaults to 0.9. */
  beta1?: number;
  /** Adam's β2. Defaults to 0.999. */
  beta2?: number;
}

/** What {@link createOptimizer} returns: the optimizer, and whether the caller must dispose it. */
export interface CreatedOptimizer {
  /** The optimizer. */
  optimizer: tf.Optimizer;
  /** True when it was built here (the trainer disposes it); false for the caller's instance. */
  owned: boolean;
}

const NAMES: readonly OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];

/**
 * Builds the optimizer a trainer's `optimizer` option names.
 *
 * - `'adam'`: Adam (Kingma and Ba) as {@link fusedAdam}: one kernel per variable on cpu and wasm
 *   once `registerTrainingKernels()` has run, tf.train.adam elsewhere; the same numbers either way.
 * - `'sgd'`: plain gradient descent, w ← w − η·g.
 * - `'momentum'`: SGD with Nesterov momentum 0.9.
 * - `'rmsprop'`: tfjs's RMSProp (decay 0.9, no momentum).
 *
 * @param fn - the public function, for messages.
 * @param choice - a name or a tfjs optimizer.
 * @param settings - the learning rate (and Adam's betas).
 * @throws {@link ArgumentError} for anything else.
 * @example
 * ```ts
 * const { optimizer, owned } = createOptimizer('myTrainer', 'momentum', { learningRate: 0.01 });
 * if (owned) optimizer.dispose();
 * ```
 */
export function createOptimizer(
  fn: string,
  choice: OptimizerChoice | undefined,
  settings: OptimizerSettings,
): CreatedOptimizer {
  // tfjs's Optimizer[Symbol.hasInstance] reads `.minimize`, so test objects alone
  if (typeof choice === 'object' && choice !== null) {
    if (choice instanceof tf.Optimizer) return { optimizer: choice, owned: false };
    return refuse(fn, choice);
  }
  const { learningRate, beta1 = 0.9, beta2 = 0.999 } = settings;
  switch (choice ?? 'adam') {
    case 'adam':
      return { optimizer: fusedAdam(learningRate, beta1, beta2), owned: true };
    case 'sgd':
      return { optimizer: tf.train.sgd(learningRate), owned: true };
    case 'momentum':
      return { optimizer: tf.train.momentum(learningRate, 0.9, true), owned: true };
    case 'rmsprop':
      return { optimizer: tf.train.rmsprop(learningRate), owned: true };
    default:
      return refuse(fn, choice);
  }
}

function refuse(fn: string, choice: unknown): never {
  throw new ArgumentError(
    `${fn}: \`optimizer\` must be ${NAMES.map((n) => `'${n}'`).join(', ')} or a tfjs Optimizer. Received: ${describeValue(choice)}.`,
  );
}

/**
 * Sets an optimizer's learning rate for the next step (tfjs optimizers keep it in a field; Adam
 * and the library's fused Adam also accept it through `setLearningRate`).
 *
 * @internal
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  const o = optimizer as unknown as {
    setLearningRate?: (r: number) => void;
    learningRate?: number;
  };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(rate);
  else if (typeof o.learningRate === 'number') o.learningRate = rate;
}
