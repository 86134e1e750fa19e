"""A person decides: the review of a file the inspection would not import on its own.

- `tokens`: the review link's token (random, stored hashed) and the form's anti-CSRF value;
- `layouts`: mapping memory (an approved mapping remembered for its layout and folder);
- `flow`: open a review (link + notification, inside the waiting state machine task), record a
  person's decision once (page or operator command), expire it;
- `page`: the HTML of the review page and its notices; `http`: the Function URL's requests.
"""
