/**
 * A form's values once valid, or null (its errors are shown on the form). An antd validation
 * overtaken by a newer one (a field changed meanwhile) is rejected as `outOfDate` with no message
 * at all: it is validated again (up to three times, while fields keep changing under it), so that
 * a click on Confirm does not silently do nothing.
 */
import type { FormInstance } from 'antd';

export async function validated<T>(form: FormInstance<T>): Promise<T | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await form.validateFields();
    } catch (err) {
      if (!(err as { outOfDate?: boolean } | null)?.outOfDate) return null;
    }
  }
  return null;
}
