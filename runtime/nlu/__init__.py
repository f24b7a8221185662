"""The NLU: intent classification and entity extraction (see docs/benchmarks.md).

`pipeline.NLUModel` is the entry point; its components (`classifier.IntentClassifier`,
`tagger.EntityTagger`, `matcher.EntityMatcher`) train and persist independently.
Nothing is imported here, so `assistc.runtime.nlu.types` stays cheap to import.
"""
