/**
 * Reading medical image files from their bytes.
 *
 * @module
 */
export { type NiftiHeader, type NiftiImage, readNifti } from './nifti.js';
