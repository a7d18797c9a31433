"""Bringing a show in from its feed (`podkit import`): reading the feed, fetching its files, and
writing the show and its episodes as podkit keeps them."""
