/*
 * Resident size on macOS: the task's physical footprint
 * (task_info(TASK_VM_INFO).phys_footprint), not its resident size. libmalloc
 * gives pages back with madvise(MADV_FREE_REUSABLE): they leave the
 * footprint at once but stay resident until the kernel needs them, so only
 * the footprint shows what a trim did (it is also what Activity Monitor
 * shows and what the kernel's memory limits count). A kernel that answers
 * with the older, shorter structure has no footprint: resident size then.
 *
 * Untested here: compiled and run only on the workflow's macOS runner.
 */
#include <mach/mach.h>

#include "../backend.h"

heapmin_int64 heapmin_resident_bytes(void)
{
    task_vm_info_data_t info;
    mach_msg_type_number_t count = TASK_VM_INFO_COUNT;

    if (task_info(mach_task_self(), TASK_VM_INFO, (task_info_t)&info, &count) !=
        KERN_SUCCESS)
        return -1;
    if (count >= TASK_VM_INFO_REV1_COUNT)
        return (heapmin_int64)info.phys_footprint;
    return (heapmin_int64)info.resident_size;
}
