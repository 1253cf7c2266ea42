import * as tf from '@tensorflow/tfjs'

import {registeredClass} from './gru.js'

type TimeDistributedLayer = ReturnType<typeof tf.layers.timeDistributed>
type WrapperArgs = Parameters<typeof tf.layers.timeDistributed>[0]

const StockTimeDistributed = registeredClass<TimeDistributedLayer, WrapperArgs>('TimeDistributed')

/**
 * `tf.layers.timeDistributed` for a per-frame layer such as Dense, computed
 * as one call on [B*T, ...] instead of tfjs-layers' step loop (which unstacks
 * the time axis: 1375 whole-tensor copies per call on wasm). Only valid when
 * the wrapped layer treats every row independently, which is why
 * src/model/io.ts swaps it in for Dense only. Weights, config and names are
 * those of TimeDistributed; it saves as 'TimeDistributed'.
 */
export class FusedTimeDistributed extends StockTimeDistributed {
  static override className = 'FusedTimeDistributed'

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: {[key: string]: unknown}): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      const [batch, steps, ...rest] = x.shape
      const flat = x.reshape([batch * steps, ...rest])
      const out = this.layer.call(flat, kwargs)
      const y = Array.isArray(out) ? out[0] : out
      return y.reshape([batch, steps, ...y.shape.slice(1)])
    })
  }
}

tf.serialization.registerClass(FusedTimeDistributed)
