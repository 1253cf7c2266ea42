export * from './loss.js'
export * from './decode.js'
