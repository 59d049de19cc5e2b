/**
 * Makes sure tfjs-core's gradients are registered.
 *
 * tfjs-core keeps its gradient functions in a side-effect module that only the union package
 * and tfjs-layers import; a consumer who imports tfjs-core alone (as this library's peer set
 * allows) gets "gradient function not found" on the first `tf.grad`. tfjs-layers, our other
 * peer, registers all of them in every one of its builds (its Node bundle carries copies, its
 * ES build imports tfjs-core's module), so importing it once is the portable way.
 *
 * @module
 */
import '@tensorflow/tfjs-layers';
