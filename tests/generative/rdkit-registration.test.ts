/**
 * RDKit as a browser app supplies it (no tfjs-medkit/node here): without it the molecule
 * functions say how to give it; `loadRdkit({ init })` with the application's `initRDKitModule`
 * starts it once, and the molecule functions then use it.
 */
import initRDKitModule from '@rdkit/rdkit';
import { expect, it } from 'vitest';
import { ArgumentError, BackendError } from '../../src/core/index.js';
import { drugLikeness, loadRdkit, type RdkitModule } from '../../src/generative/index.js';

it('says how to give RDKit when none was given or registered', async () => {
  await expect(drugLikeness(['CCO'])).rejects.toThrow(BackendError);
  await expect(loadRdkit()).rejects.toThrow(
    /import initRDKitModule from '@rdkit\/rdkit'` and call `await loadRdkit\(\{ init: initRDKitModule \}\)`/,
  );
  expect(() => loadRdkit({ init: 3 } as never)).toThrow(ArgumentError);
});

it('starts the application-supplied RDKit once; the molecule functions use it', async () => {
  const init = initRDKitModule as unknown as (o?: object) => Promise<RdkitModule>;
  const rdkit = await loadRdkit({ init });
  expect(rdkit.get_mol('c1ccccc1O')?.get_smiles()).toBe('Oc1ccccc1');
  expect(await loadRdkit()).toBe(rdkit);
  const [ethanol] = await drugLikeness(['CCO']);
  expect(ethanol?.properties.MW).toBeCloseTo(46.069, 2); // ethanol's molecular weight
  expect(ethanol?.qed).toBeGreaterThan(0);
  expect(ethanol?.qed).toBeLessThan(1);
});
