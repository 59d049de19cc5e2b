/**
 * The optional peer dependencies, found where they are installed: Node and Deno resolve a
 * dynamic import at run time, so `tfjs-medkit/node` registers each as a loader (nothing is
 * imported until a file or a molecule needs it). Browser bundles never see these imports.
 *
 * @module
 */
import { setRdkitImporter } from '../generative/molecules/rdkit.js';
import { registerDicomCodecs } from '../vision/io/dicom-codecs.js';

/**
 * Registers the installed optional packages: the DICOM codecs (`jpeg-lossless-decoder-js`,
 * `@cornerstonejs/codec-charls`, `@cornerstonejs/codec-openjpeg`) for `readDicom`, and
 * `@rdkit/rdkit` for the molecule functions. Importing `tfjs-medkit/node` calls it; codecs the
 * application registered itself are kept. A package that is not installed fails, naming it,
 * only when a file or a molecule needs it.
 *
 * @example
 * ```ts
 * import { registerInstalledPackages } from 'tfjs-medkit/node';
 * registerInstalledPackages(); // already done by the import; calling it again changes nothing
 * ```
 */
export function registerInstalledPackages(): void {
  registerDicomCodecs(
    {
      jpegLossless: () => import('jpeg-lossless-decoder-js'),
      jpegLs: () => import('@cornerstonejs/codec-charls/decodewasmjs'),
      jpeg2000: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
    },
    { keepExisting: true },
  );
  setRdkitImporter(() => import('@rdkit/rdkit'));
}
