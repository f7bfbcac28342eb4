// Evaluation module
