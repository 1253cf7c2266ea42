// Every test process starts as the CLI does: tfjs quiet (no "Hi, looks like you are running TensorFlow.js" banner).
import '../src/model/backend.js'
