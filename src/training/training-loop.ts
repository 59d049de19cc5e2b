/**
 * The one training loop under every trainer: epochs of batches, one step per batch, epoch
 * figures, progress events, abort, the NaN-loss guard, and early stopping. A trainer supplies its
 * batches and its step; the loop supplies everything around them, the same way for all.
 *
 * @module
 */

import type * as tfl from '@tensorflow/tfjs-layers';
import { fuseLayers } from '../backend/fused-layers.js';
import { applyWebglWorkarounds, precisionHint } from '../backend/webgl-workarounds.js';
import { MedkitError } from '../core/errors.js';
import { type ProgressCallback, ProgressClock, type ProgressEventType } from '../core/progress.js';
import type { EarlyStopping } from './early-stopping.js';

/** Why a training run ended. */
export type StopReason = 'completed' | 'earlyStopping' | 'aborted';

/** Where a step stands in the run. */
export interface StepPosition {
  /** The epoch, 1-based. */
  epoch: number;
  /** The step within the epoch, 1-based. */
  step: number;
  /** Steps completed before this one, over the whole run. */
  completed: number;
  /** Steps in one epoch (0 while a streamed dataset's first epoch runs). */
  stepsPerEpoch: number;
}

/** What one step reports. */
export interface StepOutcome {
  /** Samples in the batch: the weight of the step in its epoch's means. */
  size: number;
  /** The step's figures by name (each a mean over the batch). */
  figures: Record<string, number>;
  /**
   * Totals over the batch of figures that are counts (e.g. correct predictions), so that their
   * epoch value is Σtotal / Σsize exactly.
   */
  totals?: Record<string, number>;
}

/** What a trainer hands the loop. @internal */
export interface LoopSpec<B> {
  /** The trainer, for messages. */
  fn: string;
  /** The progress label. */
  label: string;
  /** Epochs planned. */
  epochs: number;
  /** Steps in one epoch, 0 when unknown until the first epoch ends (streamed data). */
  stepsPerEpoch: number;
  /** The batches of one epoch. */
  batches: (epoch: number) => AsyncIterable<B> | Iterable<B>;
  /** Frees a batch that was drawn but not stepped on (an abort). */
  release?: (batch: B) => void;
  /** One training step. It owns the batch. */
  step: (batch: B, at: StepPosition) => Promise<StepOutcome>;
  /** Figures that must stay finite (the run stops with a {@link MedkitError} otherwise). */
  guard: readonly string[];
  /** The advice appended to the guard's message. */
  guardHint: (at: StepPosition) => string;
  /** The figure shown as a progress event's `loss`. Defaults to `'loss'`. */
  progressLoss?: string;
  /** Figures whose epoch value is their last step's (e.g. the learning rate), not a mean. */
  lastOfEpoch?: readonly string[];
  /** Keep every step's figures in the result's `steps`. */
  keepSteps?: boolean;
  /** Figures computed after each epoch (validation), added to the epoch's. */
  endEpoch?: (epoch: number) => Promise<Record<string, number>>;
  /** Early stopping on the epoch figures. */
  earlyStopping?: EarlyStopping;
  /** Receives progress events. */
  onProgress?: ProgressCallback;
  /** Stops the run before the next step when aborted. */
  signal?: AbortSignal;
  /**
   * The networks the steps train: for the run, their dense layers take one kernel call forward
   * and one backward where the backend has the library's dense kernels (cpu and wasm after
   * registerTrainingKernels; the same numbers as their own call).
   */
  models?: readonly tfl.LayersModel[];
}

/** What the loop resolves to. @internal */
export interface LoopResult {
  /** Each epoch's figures, by name. */
  history: Record<string, number[]>;
  /** Each step's figures, by name (with `keepSteps`). */
  steps: Record<string, number[]>;
  /** Epochs completed. */
  epochs: number;
  /** Why the run ended. */
  stopReason: StopReason;
  /** With early stopping: the best epoch (1-based), 0 when none improved. */
  bestEpoch?: number;
}

/** Lets timers and abort signals run between steps. */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

function push(record: Record<string, number[]>, figures: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(figures)) {
    const list = record[k] ?? [];
    list.push(v);
    record[k] = list;
  }
}

/**
 * Runs a training loop (see the module's description). Early stopping's best weights are put
 * back at the end; its kept copies are freed whatever happens.
 *
 * @throws {@link MedkitError} when a guarded figure becomes NaN or infinite, or an epoch gives
 *   no batch; whatever a step throws.
 * @internal
 */
export async function runTrainingLoop<B>(spec: LoopSpec<B>): Promise<LoopResult> {
  // on webgl, variables left packed by an optimizer's update must be read correctly
  applyWebglWorkarounds();
  const clock = new ProgressClock(spec.label, spec.epochs, spec.stepsPerEpoch);
  const lossName = spec.progressLoss ?? 'loss';
  const emit = async (
    type: ProgressEventType,
    epoch: number,
    step: number,
    figures?: Readonly<Record<string, number>>,
  ) => {
    if (!spec.onProgress) return;
    const { [lossName]: loss, ...metrics } = figures ?? {};
    await spec.onProgress(
      clock.event(type, { epoch, step, ...(loss === undefined ? {} : { loss }), metrics }),
    );
  };
  const history: Record<string, number[]> = {};
  const steps: Record<string, number[]> = {};
  const stopping = spec.earlyStopping;
  let stopReason: StopReason = 'completed';
  let epochsRun = 0;
  let completed = 0;
  let stepsPerEpoch = spec.stepsPerEpoch;
  let lastFigures: Record<string, number> | undefined;
  const restoreLayers = fuseLayers(spec.models ?? []);
  try {
    await emit('start', 0, 0);
    for (let epoch = 1; epoch <= spec.epochs && stopReason === 'completed'; epoch++) {
      await emit('epochStart', epoch, 0);
      const sums: Record<string, number> = {};
      const last: Record<string, number> = {};
      let seen = 0;
      let step = 0;
      for await (const batch of spec.batches(epoch)) {
        if (spec.signal?.aborted) {
          spec.release?.(batch);
          stopReason = 'aborted';
          break;
        }
        step++;
        const at: StepPosition = { epoch, step, completed, stepsPerEpoch };
        const { size, figures, totals } = await spec.step(batch, at);
        for (const name of spec.guard) {
          const v = figures[name];
          if (v !== undefined && !Number.isFinite(v)) {
            throw new MedkitError(
              `${spec.fn}: the ${name} became ${v} at epoch ${epoch}, step ${step}; ${spec.guardHint(at)}${precisionHint()}.`,
            );
          }
        }
        for (const [k, v] of Object.entries(figures)) {
          last[k] = v;
          sums[k] = (sums[k] ?? 0) + (totals?.[k] ?? v * size);
        }
        seen += size;
        completed++;
        if (spec.keepSteps) push(steps, figures);
        await emit('stepEnd', epoch, step, figures);
        await yieldToEventLoop();
      }
      if (stopReason === 'aborted') break;
      if (step === 0)
        throw new MedkitError(`${spec.fn}: the data gave no batch in epoch ${epoch}.`);
      if (stepsPerEpoch === 0) {
        stepsPerEpoch = step;
        clock.stepsPerEpoch = step;
      }
      epochsRun = epoch;
      const figures: Record<string, number> = {};
      for (const k of Object.keys(sums)) {
        figures[k] = spec.lastOfEpoch?.includes(k) ? last[k]! : sums[k]! / seen;
      }
      if (spec.endEpoch) Object.assign(figures, await spec.endEpoch(epoch));
      push(history, figures);
      lastFigures = figures;
      await emit('epochEnd', epoch, step, figures);
      if (stopping?.update(epoch, figures)) stopReason = 'earlyStopping';
    }
    stopping?.restoreBest(epochsRun);
  } finally {
    stopping?.dispose();
    restoreLayers();
  }
  await emit(
    'end',
    epochsRun,
    stepsPerEpoch,
    lastFigures?.[lossName] === undefined ? undefined : { [lossName]: lastFigures[lossName]! },
  );
  return {
    history,
    steps,
    epochs: epochsRun,
    stopReason,
    ...(stopping ? { bestEpoch: stopping.bestEpoch } : {}),
  };
}
