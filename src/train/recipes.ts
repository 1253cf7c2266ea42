import {type FeatureTransform, LOG_FEATURES, RAW_FEATURES} from '../features/transform.js'

/**
 * How each preset is trained by default: the features it expects and
 * whether it learns from whole 10 s examples or from crops around the
 * labels. Recorded in rnn-wake.json through the features; crops only
 * change training, never detection (the network takes any length).
 */
export interface Recipe {
  transform: FeatureTransform
  /** Seconds per training crop; null: whole examples. */
  cropSec: number | null
}

export const RECIPES: Readonly<Record<string, Recipe>> = {
  course: {transform: RAW_FEATURES, cropSec: null},
  tiny: {transform: LOG_FEATURES, cropSec: null},
  default: {transform: LOG_FEATURES, cropSec: 3},
}

export function recipeFor(preset: string): Recipe {
  return RECIPES[preset] ?? {transform: LOG_FEATURES, cropSec: null}
}
