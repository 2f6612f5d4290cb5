export { createTempDir, type TempDir } from './temp-dir.js'
export { ensureTestImages, TEST_IMAGE } from './test-images.js'
