export * from './edit-distance.js'
export * from './events.js'
