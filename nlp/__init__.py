"""Pure language functions: jieba keyword classification, place names, urgency, request type."""
