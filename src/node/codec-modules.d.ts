// The optional codec packages ship no type declarations; dicom-codecs.ts describes the parts it uses.
declare module 'jpeg-lossless-decoder-js';
declare module '@cornerstonejs/codec-charls/decodewasmjs';
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs';
