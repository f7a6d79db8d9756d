/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "nova-keys.h"

const char *const bigvm_nova_keys[] = {
  /* Flavor fields (nova/api/openstack/compute/schemas/flavors.py). */
  "id", "disk", "ephemeral", "swap", "rxtx_factor", "is_public", "description",
  /* nova/api/validation/extra_specs/hw.py */
  "hw:cpu_realtime", "hw:cpu_realtime_mask", "hw:hide_hypervisor_id",
  "hw:cpu_policy", "hw:cpu_thread_policy", "hw:emulator_threads_policy",
  "hw:cpu_dedicated_mask", "hw:locked_memory", "hw:pci_numa_affinity_policy",
  "hw:cpu_max_sockets", "hw:cpu_max_cores", "hw:cpu_max_threads",
  "hw:boot_menu", "hw:vif_multiqueue_enabled", "hw:mem_encryption",
  "hw:mem_encryption_model", "hw:pmem", "hw:pmu", "hw:serial_port_count",
  "hw:tpm_model", "hw:tpm_version", "hw:tpm_secret_security", "hw:watchdog_action",
  "hw:viommu_model", "hw:virtio_packed_ring", "hw:sound_model", "hw:usb_model",
  "hw:redirected_usb_ports", "hw:ephemeral_encryption", "hw:ephemeral_encryption_format",
  /* null.py: keys without a namespace */
  "hide_hypervisor_id", "group_policy",
  /* Other namespaces: hw_rng.py, hw_video.py, os.py, pci_passthrough.py,
   * accel.py, vmware.py, quota.py, resources.py, traits.py, capabilities.py,
   * aggregate_instance_extra_specs.py. */
  "hw_rng:allowed", "hw_rng:rate_bytes", "hw_rng:rate_period", "hw_video:ram_max_mb",
  "pci_passthrough:alias", "accel:device_profile",
  "vmware:hw_version", "vmware:storage_policy",
  "quota:*", "resources*:*", "trait*:*", "capabilities:*",
  "aggregate_instance_extra_specs:*",
  /* Image properties (nova/objects/image_meta.py), for flavors written
   * from an image's metadata. */
  "hw_architecture", "hw_auto_disk_config", "hw_boot_menu", "hw_cdrom_bus",
  "hw_cpu_max_cores", "hw_cpu_max_sockets", "hw_cpu_max_threads", "hw_cpu_policy",
  "hw_cpu_realtime_mask", "hw_cpu_thread_policy", "hw_device_id", "hw_disk_bus",
  "hw_disk_type", "hw_emulation_architecture", "hw_ephemeral_encryption",
  "hw_ephemeral_encryption_format", "hw_ephemeral_encryption_secret_uuid",
  "hw_firmware_stateless", "hw_floppy_bus", "hw_input_bus", "hw_ipxe_boot",
  "hw_locked_memory", "hw_mem_encryption", "hw_mem_encryption_model",
  "hw_pci_numa_affinity_policy", "hw_pmu", "hw_pointer_model", "hw_qemu_guest_agent",
  "hw_redirected_usb_ports", "hw_rescue_bus", "hw_rescue_device", "hw_rng_model",
  "hw_scsi_model", "hw_serial_port_count", "hw_sound_model", "hw_time_hpet",
  "hw_tpm_model", "hw_tpm_version", "hw_usb_model", "hw_video_model", "hw_video_ram",
  "hw_vif_model", "hw_vif_multiqueue_enabled", "hw_viommu_model",
  "hw_virtio_packed_ring", "hw_vm_mode", "hw_watchdog_action",
  "img_bittorrent", "img_block_device_mapping", "img_cache_in_nova",
  "img_compression_level", "img_config_drive", "img_hide_hypervisor_id",
  "img_hv_requested_version", "img_hv_type", "img_linked_clone", "img_mappings",
  "img_owner_id", "img_root_device_name", "img_signature",
  "img_signature_certificate_uuid", "img_signature_hash_method",
  "img_signature_key_type", "img_use_agent", "img_version",
  "os_admin_user", "os_command_line", "os_distro", "os_require_quiesce",
  "os_skip_agent_inject_files_at_boot", "os_skip_agent_inject_ssh", "os_type",
  "traits_required",
  NULL
};

gboolean
bigvm_nova_key_known (const char *key)
{
  for (const char *const *known = bigvm_nova_keys; *known != NULL; known++)
    if (g_pattern_match_simple (*known, key))
      return TRUE;
  return FALSE;
}
