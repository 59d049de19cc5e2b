/**
 * Walking a tfjs-layers model's layers, nested models included.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The model's layers in order, a nested model (a `Sequential` used as a layer, a backbone)
 * replaced by its own layers, recursively.
 *
 * @internal
 */
export function flatLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  const out: tfl.layers.Layer[] = [];
  const visit = (layers: readonly tfl.layers.Layer[]) => {
    for (const l of layers) {
      const inner = (l as unknown as { layers?: tfl.layers.Layer[] }).layers;
      if (Array.isArray(inner)) visit(inner);
      else out.push(l);
    }
  };
  visit(model.layers);
  return out;
}
