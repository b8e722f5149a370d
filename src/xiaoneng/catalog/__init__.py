"""The service-matter catalog (政务服务事项实施清单): matters, versions, materials, fees."""
