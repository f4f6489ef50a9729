// The emulated capacity of one process (replica or shard server): requests take a service time
// and hold one of a limited number of slots; waiting requests queue up to a limit, beyond which
// they are refused (503 + Retry-After). Capacity then comes from the model, not from the host's
// two cores, which is what lets scale-out be studied on one machine.
export {};
//# sourceMappingURL=capacity-model.js.map