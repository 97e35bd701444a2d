"""Models named by a Hub id: found in the local Hugging Face and ModelScope caches (:mod:`.cache`), downloaded from the Hub on request (:mod:`.download`)."""
