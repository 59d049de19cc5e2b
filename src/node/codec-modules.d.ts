// The optional codec packages ship no type declarations. tfjs-medkit/node only imports them and
// hands the modules to registerDicomCodecs, which checks their shape (dicom-codecs.ts), so they
// are declared as what is known of them, nothing more.
declare module 'jpeg-lossless-decoder-js' {
  /** The decoder class. */
  export const Decoder: new () => unknown;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  /** The emscripten factory: starts the module. */
  const factory: (options?: object) => Promise<unknown>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  /** The emscripten factory: starts the module. */
  const factory: (options?: object) => Promise<unknown>;
  export default factory;
}
