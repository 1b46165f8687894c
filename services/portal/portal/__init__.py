"""The portal (issue 19, X6, design.md §9): the pages people use, served by each actor's deployment. A
backend-for-frontend: sessions, not data; every read and write goes through the owning service's public HTTP API
with the signed-in person's bearer token, so every access rule stays where it is."""
