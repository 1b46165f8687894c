"""The portal's routes, one mixin per site or console, composed by :class:`portal.service.PortalService`."""
