// Turning a real video into the video owner's MP-SPDZ input (see prepare.ts).
export { prepareVideo, writePreparedVideo, type PrepareOptions, type PreparedVideo, type FrameSampling } from './prepare.js';
export { openFaceDetector, detectorFiles, type FaceDetector, type FaceDetectorOptions, type DetectedFace } from './detector.js';
export { ffmpegPath, probeVideo, parseFfmpegInfo, decodeFrames, countFrames, type VideoInfo, type DecodeOptions } from './ffmpeg.js';
export {
  cropAndResize,
  resizeBilinear,
  toGrayscale,
  normaliseToRange,
  centreBox,
  enlargeSquareBox,
  faceInput,
  fitLength,
  spreadIndices,
  marginProblem,
  pickFace,
  boxArea,
  HUMAN_CROP_SIZE,
  DEFAULT_MARGIN,
  LUMA,
  type Box,
  type FaceInputShape,
  type FacePick,
} from './image.js';
