/**
 * Typed progress events for long work (training loops, scans), and the clock that fills in their
 * timing. A long-running function takes an `onProgress` callback of type {@link ProgressCallback};
 * the terminal reporter in `tfjs-medkit/node` is one such callback.
 *
 * @module
 */

/** What happened: a run began or ended, an epoch began or ended, or a step (batch) ended. */
export type ProgressEventType = 'start' | 'epochStart' | 'stepEnd' | 'epochEnd' | 'end';

/** One progress event. Counts are 1-based (`epoch` 1 is the first epoch). */
export interface ProgressEvent {
  /** What happened. */
  readonly type: ProgressEventType;
  /** What is running, for display (`'train'`, `'gan'`, `'association scan'`). */
  readonly label: string;
  /** The current epoch (1-based), 0 before the first. */
  readonly epoch: number;
  /** The number of epochs planned. */
  readonly epochs: number;
  /** The step within the current epoch (1-based), 0 before the first. */
  readonly step: number;
  /** Steps in one epoch. */
  readonly stepsPerEpoch: number;
  /** Steps completed over the whole run. */
  readonly completedSteps: number;
  /** Steps planned over the whole run. */
  readonly totalSteps: number;
  /** The latest loss, when there is one. */
  readonly loss?: number;
  /** Other figures of the latest step or epoch, by name (`accuracy`, `val_loss`, …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  /** Estimated milliseconds left, from the mean time per completed step; undefined before one. */
  readonly etaMs?: number;
}

/** A receiver of progress events; it may return a promise, which the producer awaits. */
export type ProgressCallback = (event: ProgressEvent) => void | Promise<void>;

/** The figures of an event that the producer supplies; the clock adds the rest. */
export interface ProgressUpdate {
  /** The current epoch (1-based). */
  epoch: number;
  /** The step within the epoch (1-based), 0 at an epoch's start. */
  step: number;
  /** The latest loss. */
  loss?: number;
  /** Other figures by name. */
  metrics?: Readonly<Record<string, number>>;
}

/**
 * Keeps time for a run of `epochs × stepsPerEpoch` steps and turns updates into
 * {@link ProgressEvent}s with elapsed time and an estimate of the time left.
 *
 * @example
 * ```ts
 * const clock = new ProgressClock('train', 10, 100);
 * const event = clock.event('stepEnd', { epoch: 1, step: 5, loss: 0.4 });
 * event.completedSteps; // 5
 * ```
 */
export class ProgressClock {
  private readonly started: number;

  /**
   * @param label - what is running, shown by reporters.
   * @param epochs - epochs planned.
   * @param stepsPerEpoch - steps in one epoch; 0 while unknown (a streamed dataset before its
   *   first epoch ends), and may be set once known.
   * @param now - the clock in milliseconds; defaults to `performance.now`.
   */
  constructor(
    readonly label: string,
    readonly epochs: number,
    public stepsPerEpoch: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** Builds the event of type `type` for the given update. */
  event(type: ProgressEventType, update: ProgressUpdate): ProgressEvent {
    const totalSteps = this.epochs * this.stepsPerEpoch;
    const completedSteps = Math.min(
      totalSteps,
      Math.max(0, (update.epoch - 1) * this.stepsPerEpoch + update.step),
    );
    const elapsedMs = this.now() - this.started;
    const etaMs =
      completedSteps > 0 ? (elapsedMs / completedSteps) * (totalSteps - completedSteps) : undefined;
    return {
      type,
      label: this.label,
      epoch: update.epoch,
      epochs: this.epochs,
      step: update.step,
      stepsPerEpoch: this.stepsPerEpoch,
      completedSteps,
      totalSteps,
      ...(update.loss === undefined ? {} : { loss: update.loss }),
      metrics: update.metrics ?? {},
      elapsedMs,
      ...(etaMs === undefined ? {} : { etaMs }),
    };
  }
}
