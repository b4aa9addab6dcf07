import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import type { AccountRecord } from '@herald/db';

const normaliseEmail = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @Transform(normaliseEmail)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 200, example: 'correct horse battery' })
  @IsString()
  @Length(8, 200)
  password: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @Transform(normaliseEmail)
  @IsString()
  @MaxLength(254)
  email: string;

  // No minimum here: a login with a short password is simply wrong, not malformed.
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MaxLength(200)
  password: string;
}

export class AccountView {
  @ApiProperty({ example: 'acc_4f9Xk2LmQ8rT1vWz' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ enum: ['customer', 'admin'] })
  role: AccountRecord['role'];

  static of(a: AccountRecord): AccountView {
    return Object.assign(new AccountView(), { id: a.id, email: a.email, role: a.role });
  }
}

export class SessionView {
  @ApiProperty({ type: AccountView })
  account: AccountView;

  @ApiProperty({ description: 'Bearer token for the management API (`Authorization: Bearer hs_…`)', example: 'hs_…' })
  token: string;
}
