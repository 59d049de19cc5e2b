/**
 * Reading medical image files from their bytes.
 *
 * @module
 */
export {
  type DicomAttributes,
  type DicomBulkValue,
  type DicomImage,
  type DicomValue,
  readDicom,
} from './dicom.js';
export {
  type DicomCodecSource,
  type DicomCodecs,
  type RegisterDicomCodecsOptions,
  registerDicomCodecs,
} from './dicom-codecs.js';
export { type DicomVolume, readDicomSeries } from './dicom-series.js';
export {
  type DecodedImage,
  imageFromPixels,
  type PixelSource,
  type ReadImageOptions,
  readImage,
} from './image.js';
export { type NiftiHeader, type NiftiImage, type ReadNiftiOptions, readNifti } from './nifti.js';
