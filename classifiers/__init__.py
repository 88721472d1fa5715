"""Text and image understanding: embedders, the category classifier, the urgency detector."""
