export * from './edit-distance.js'
