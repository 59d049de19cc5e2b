/**
 * Early stopping: watch one figure of the run per epoch, stop after `patience` epochs without
 * improvement, and put back the best epoch's weights. The monitored figure is checked against
 * the figures the run produces before the first step, so a misspelt monitor is an error, never
 * a run that silently stops on nothing.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';

/** Options of early stopping. */
export interface EarlyStoppingOptions<M extends string = string> {
  /**
   * The figure watched, one of those the run records each epoch. Defaults to `'valLoss'` with
   * validation data, else `'loss'`. Figures whose name ends in "loss" improve downwards, the
   * others upwards.
   */
  monitor?: M;
  /** Epochs without improvement before stopping. Defaults to 5. */
  patience?: number;
  /** The smallest change that counts as an improvement. Defaults to 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Defaults to `true`. */
  restoreBestWeights?: boolean;
}

/**
 * The state of early stopping over one run.
 *
 * @internal
 */
export class EarlyStopping {
  /** The figure watched. */
  readonly monitor: string;
  private readonly minimise: boolean;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly restore: boolean;
  private best: number;
  private sinceBest = 0;
  private bestWeights: tf.Tensor[] | undefined;
  /** The best epoch so far (1-based), 0 before one. */
  bestEpoch = 0;

  private constructor(
    options: Required<EarlyStoppingOptions>,
    private readonly model: tfl.LayersModel,
  ) {
    this.monitor = options.monitor;
    this.minimise = /loss$/i.test(options.monitor);
    this.patience = options.patience;
    this.minDelta = options.minDelta;
    this.restore = options.restoreBestWeights;
    this.best = this.minimise ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /**
   * Resolves a trainer's `earlyStopping` option (`true` for the defaults, an object, or off).
   *
   * @param fn - the trainer, for messages.
   * @param option - what the caller gave.
   * @param figures - the figures this run records each epoch.
   * @param defaultMonitor - the monitor when none is given.
   * @param model - whose weights are kept and restored.
   * @throws {@link ArgumentError} for a monitor the run does not record, or a bad option.
   */
  static resolve(
    fn: string,
    option: boolean | EarlyStoppingOptions | undefined,
    figures: readonly string[],
    defaultMonitor: string,
    model: tfl.LayersModel,
  ): EarlyStopping | undefined {
    if (option === undefined || option === false) return undefined;
    if (option !== true && (typeof option !== 'object' || option === null)) {
      throw new ArgumentError(
        `${fn}: \`earlyStopping\` must be true or an object of options. Received: ${describeValue(option)}.`,
      );
    }
    const o = resolveOptions(`${fn}: earlyStopping`, option === true ? {} : option, {
      monitor: { constraint: { kind: 'any' }, default: defaultMonitor },
      patience: { constraint: { kind: 'number', integer: true, min: 1 }, default: 5 },
      minDelta: { constraint: { kind: 'number', min: 0 }, default: 0 },
      restoreBestWeights: { constraint: { kind: 'boolean' }, default: true },
    });
    if (typeof o.monitor !== 'string' || !figures.includes(o.monitor)) {
      const validation = figures.some((f) => f.startsWith('val'));
      if (!validation && typeof o.monitor === 'string' && o.monitor.startsWith('val')) {
        throw new ArgumentError(
          `${fn}: early stopping on '${o.monitor}' needs validation data (\`validationSplit\` or \`validationData\`).`,
        );
      }
      throw new ArgumentError(
        `${fn}: \`earlyStopping.monitor\` must be one of the figures this run records: ${figures.map((f) => `'${f}'`).join(', ')}. Received: ${describeValue(o.monitor)}.`,
      );
    }
    return new EarlyStopping(o, model);
  }

  /**
   * Records an epoch's figures; returns true when training should stop.
   *
   * @param epoch - the epoch, 1-based.
   * @param figures - the epoch's figures by name.
   */
  update(epoch: number, figures: Readonly<Record<string, number>>): boolean {
    const value = figures[this.monitor]!;
    const improved = this.minimise
      ? value < this.best - this.minDelta
      : value > this.best + this.minDelta;
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.sinceBest = 0;
      if (this.restore) {
        tf.dispose(this.bestWeights ?? []);
        this.bestWeights = this.model.getWeights().map((w) => tf.keep(w.clone()));
      }
      return false;
    }
    return ++this.sinceBest >= this.patience;
  }

  /** Puts the best epoch's weights back when the model's last epoch was not the best. */
  restoreBest(lastEpoch: number): void {
    if (this.bestWeights && this.bestEpoch !== lastEpoch && lastEpoch > 0) {
      this.model.setWeights(this.bestWeights);
    }
  }

  /** Frees the kept weights. */
  dispose(): void {
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = undefined;
  }
}
