"""The views of the supervision room: one module each for warnings, tasks, accountability."""
