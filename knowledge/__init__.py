"""Knowledge bases (departments, taxonomy, places, policy): format, loader, validator, indexes."""
