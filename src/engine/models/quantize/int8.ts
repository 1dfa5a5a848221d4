// The int8 variant of a catalog model: built, deterministically and offline, from the cached float model
// and the calibration committed in assets/int8/<id>.json (activation ranges measured on real faces by
// `npm run bench:int8`, which also writes that file). Nothing of the calibration photos is shipped.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { openModel, saveModel } from './model.js';
import { quantize, type QuantizeOptions, type Range } from './qdq.js';

/** Bump when the quantizer's output changes, to rebuild every cached int8 model. */
export const QUANTIZER_VERSION = 1;

export const CALIBRATION_DIR = path.resolve(import.meta.dirname, '../../../../assets/int8');

export interface Int8Calibration {
  model: string;
  /** SHA-256 of the float model the ranges were measured on: tensor names are that graph's. */
  fp32Sha256: string;
  /** How the ranges were taken, for the record (e.g. "min/max over 240 crops of dev photos"). */
  method: string;
  options: QuantizeOptions;
  ranges: Record<string, Range>;
}

/** `dir`: the committed calibrations unless told (bench:int8 measures fresh ones from a scratch folder). */
export function calibrationPath(modelId: string, dir = CALIBRATION_DIR): string {
  return path.join(dir, `${modelId}.json`);
}

/** True when an int8 calibration is committed for the model. */
export function hasInt8Calibration(modelId: string): boolean {
  return fs.existsSync(calibrationPath(modelId));
}

export function readCalibration(
  modelId: string,
  dir?: string,
): { calibration: Int8Calibration; sha256: string } {
  const file = calibrationPath(modelId, dir);
  if (!fs.existsSync(file)) throw new Error(`model ${modelId} has no int8 variant (no ${file})`);
  const text = fs.readFileSync(file, 'utf8');
  return {
    calibration: JSON.parse(text) as Int8Calibration,
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

/** The QDQ int8 model; refused when the float model is not the one the calibration was measured on. */
export function buildInt8(fp32: Uint8Array, calibration: Int8Calibration): Uint8Array {
  const sha = createHash('sha256').update(fp32).digest('hex');
  if (sha !== calibration.fp32Sha256) {
    throw new Error(
      `model ${calibration.model}: its int8 calibration was measured on another float model (converter changed?): run npm run bench:int8 -- --write`,
    );
  }
  const model = openModel(fp32);
  quantize(model, calibration.ranges, calibration.options);
  return saveModel(model);
}
