"""Nuvera payment platform: partner REST API, signed requests, web app and admin hub."""
